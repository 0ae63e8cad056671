"""The hand-written async entities; ``models/_sync`` is generated from them."""
