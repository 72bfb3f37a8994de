"""chhotograd ("ছোট" = small): the course's own small autograd library.

Part II of the course builds it step by step. This package is the home of that library.
"""

__version__ = "0.1.0"
