"""The returns value stream: one workflow per return authorisation (RMA)."""
