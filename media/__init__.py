"""The SFU: forwards encoded RTP between participants. Knows nothing of HTTP, users or databases.

The boundary is `MediaRoom.handle(command)` with commands and events from `media.messages`.
"""
