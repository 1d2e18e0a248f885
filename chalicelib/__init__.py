"""Platekeeper: a policy-compliant ALPR data system.

Lexipol policy 428 and California Civil Code 1798.90.5-.55 (SB 34).
"""
