"""SocialHub: a self-hostable social media hub."""

__version__ = "0.1.0"
