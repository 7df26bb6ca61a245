"""Ingestion: files → documents → cleaned text → chunks → store."""
