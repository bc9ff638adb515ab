"""Foundation shared by every layer: errors, settings, the passage data types."""
