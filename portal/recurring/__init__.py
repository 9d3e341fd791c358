"""Recurring problems (每月一题, 主动治理): clusters of similar cases raised as topics."""
