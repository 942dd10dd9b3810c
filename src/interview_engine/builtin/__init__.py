"""Built-in providers, registered as ordinary plugins."""
