"""Configuration and infrastructure: settings, the knowledge base and its stores, logging, the kill switch."""
