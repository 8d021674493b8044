"""The per-session interaction engine: every 200 ms of learner audio it listens, decides and speaks."""
