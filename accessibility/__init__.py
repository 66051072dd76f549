"""The visual-response algorithm: twin state and a learner's profile in, feedback out.

Pure logic only: nothing in this package does I/O. ``accessibility.signals`` holds the
numpy algorithms for derived values; ``accessibility.derived`` keeps them current per kit.
"""
