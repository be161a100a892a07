"""StackRift server: a thin ASGI layer over the library."""
