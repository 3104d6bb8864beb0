"""The local device app (`obclip ui`, extra `[ui]`): what the cloud will see, generation with progress, history.

FastAPI serves one static page (no CDN, no build step) and a small JSON API on 127.0.0.1;
`jobs` runs generations one at a time in a worker thread and keeps the history on disk.
"""
