"""LinkedIn sandbox (CONTRACTS §5): OAuth on www.linkedin.com, versioned REST on api.linkedin.com.

Split by concern: common (errors, version and limit checks), oauth, posts (posts, images,
videos, uploads), reading (userinfo, social actions, analytics, network sizes), module (routes,
seed, faults). Shapes chosen where LinkedIn's documents are thin are listed in reading.py.
"""

from socialhub.sandbox.platforms.linkedin.module import LinkedIn

__all__ = ["LinkedIn"]
