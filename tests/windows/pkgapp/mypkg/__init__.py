from .helpers import greet
