"""Search: embeddings, French BM25, FAISS index generations, hybrid retrieval."""
