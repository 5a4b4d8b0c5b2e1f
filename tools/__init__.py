"""Broadsheet's own tools, called by tasks.py: inspect story files, score the parser.

Plain importable modules; they use the story parser only through its public API
(`read_text`, `parse_story`, the `Story` value), see `tools/stories.py`.
"""
