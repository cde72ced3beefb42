"""The application layer: figures, explorers, the reproduction runner and the command line.

The only layer that imports :mod:`netchaos.protocols` and the plots; nothing below it imports
anything from here.
"""
