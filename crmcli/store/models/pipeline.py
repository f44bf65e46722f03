"""Stages, opportunities, products and quotes (DOMAIN.md "Opportunities", "Products and prices", "Quotes")."""

from __future__ import annotations
