"""The writing assistant: an OpenAI-compatible chat-completions API, called by the server only."""
