//! `fundledger verify`: recomputes the hash chain and checks the read models against a
//! fresh, independent fold of the events.
