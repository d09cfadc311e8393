"""Ports to the outside world: a Protocol per capability and a built-in implementation that needs no
provider. A real provider (tax engine, PSP, carrier API, bank channel) implements the same Protocol.

- tax.TaxPort            built-in RateTableTax: the tax_rate table by region x tax class x date (the only tax path)
- payment.PaymentPort    built-in LedgerPaymentPort: authorise/capture/refund cleared in our own ledger;
                         SandboxPaymentPort declines, lapses and fails like a PSP's test mode (per channel)
- carrier.CarrierPort    built-in RecordingCarrier: books carrier, service, checked tracking number, label
- bank_file.BankFilePort built-in Pain001Writer: an ISO 20022 pain.001.001.03 credit transfer file
"""
