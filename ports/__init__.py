"""Ports to the outside world: a Protocol per capability and a built-in implementation that needs no
provider. A real provider (tax engine, PSP, carrier API, bank channel) implements the same Protocol.

- tax.TaxPort            built-in RateTableTax: the tax_rate table by region x tax class x date
- payment.PaymentPort    built-in LedgerPaymentPort: authorise/capture/refund cleared in our own ledger
- carrier.CarrierPort    built-in RecordingCarrier: records carrier and a format-checked tracking number
- bank_file.BankFilePort built-in Pain001Writer: an ISO 20022 pain.001.001.03 credit transfer file
"""
