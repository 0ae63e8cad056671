"""The demo flow, hand-written async; ``demo/_sync`` is generated from it."""
