"""Listener: automation."""
