"""What the bank sends, read the same way whichever format it still uses: a camt.053 statement and an MT940
statement give the statement id, the account and signed lines with code and end-to-end reference; a file
that is not a statement (or carries a DTD) is refused naming `content`."""

from datetime import date
from decimal import Decimal

import pytest

from rules.errors import RuleViolation
from services.payments.statement_files import parse_camt053, parse_mt940

D = Decimal
MT940 = """:20:STMT-0001
:25:DE02120300000000202051
:28C:1/1
:60F:C261130EUR1000,00
:61:2611301130D101,00NTRFPR7-INV42//BANKREF1
Supplier payment
:86:Invoice INV-1
:61:2611301130D2,50NCHGNONREF
:86:Account fees
:62F:C261130EUR896,50
-
"""
CAMT = """<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Id>ST-9</Id><Acct><Id><IBAN>DE02120300000000202051</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">101.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-11-30</Dt></BookgDt>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>PR7-INV42</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">0.40</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-30</Dt></BookgDt>
<BkTxCd><Prtry><Cd>INTR</Cd></Prtry></BkTxCd><AddtlNtryInf>Interest</AddtlNtryInf></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_an_mt940_statement() -> None:
    st = parse_mt940(MT940)
    assert (st.ref, st.account) == ("STMT-0001", "DE02120300000000202051")
    assert [(ln.booking_date, ln.amount, ln.currency, ln.code, ln.reference) for ln in st.lines] == [
        (date(2026, 11, 30), D("-101.00"), "EUR", "NTRF", "PR7-INV42"),
        (date(2026, 11, 30), D("-2.50"), "EUR", "NCHG", None),
    ]


def test_a_camt053_statement() -> None:
    st = parse_camt053(CAMT)
    assert (st.ref, st.account) == ("ST-9", "DE02120300000000202051")
    assert [(ln.amount, ln.code, ln.reference, ln.description) for ln in st.lines] == [
        (D("-101.00"), "ESCT", "PR7-INV42", ""),
        (D("0.40"), "INTR", None, "Interest"),
    ]


@pytest.mark.parametrize(
    "content",
    [
        "<Document/>",
        "not xml at all <",
        '<!DOCTYPE x [<!ENTITY a "b">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>',
    ],
)
def test_what_is_not_a_camt053_statement_is_refused(content: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        parse_camt053(content)
    assert refused.value.field == "content"


def test_what_is_not_an_mt940_statement_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        parse_mt940("hello")
    assert refused.value.field == "content"
