"""Contracts (orders), approvals, receivable plans, payments, invoices and currency rates (DOMAIN.md "Contracts / orders")."""

from __future__ import annotations
