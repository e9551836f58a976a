"""Tenancy: one installation serves several WeCom corps."""
