"""MongoDB persistence through mongoengine (mongomock on the embedded default)."""
