"""Shared building blocks: roles, money, jobs and progress, the page shell, health."""
