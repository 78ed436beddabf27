"""Local stand-ins for the cloud services the sync service talks to.

They are product code: `make run` starts them for people, and the tests start
them in-process. Each binds to 127.0.0.1 only.
"""
