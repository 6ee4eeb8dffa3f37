//! The GraphQL scalars of API.md, each parsed into the domain's value type so an invalid
//! value never reaches a command (the parse error carries the domain's own message).

use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use rust_decimal::Decimal;

/// `Money`: a decimal string in GBP with at most 2 places (`"1250.00"`). Input is parsed
/// into the domain's `Money` (non-negative, pence); output also serves read-model figures
/// such as a signed net, always with two places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct MoneyValue(pub Decimal);

impl MoneyValue {
    /// The domain amount of a parsed input (parsing guarantees it is one).
    pub fn money(&self) -> domain::Money {
        domain::Money::new(self.0).expect("Money inputs are parsed as domain Money")
    }
}

impl From<Decimal> for MoneyValue {
    fn from(amount: Decimal) -> MoneyValue {
        MoneyValue(amount)
    }
}

#[Scalar(name = "Money")]
impl ScalarType for MoneyValue {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => domain::Money::from_str(&text)
                .map(|money| MoneyValue(money.amount()))
                .map_err(|error| InputValueError::custom(error.to_string())),
            other => Err(InputValueError::custom(format!(
                "Money is a decimal string such as \"1250.00\", not {other}"
            ))),
        }
    }

    fn to_value(&self) -> Value {
        let mut amount = self.0;
        amount.rescale(2);
        Value::String(amount.to_string())
    }
}

/// `Date`: a calendar date, exactly `YYYY-MM-DD` (4-digit year, 2-digit month and day, no
/// sign or spaces), from 1900-01-01 to 2200-12-31 (`domain::dates::parse_date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct DateValue(pub domain::Date);

#[Scalar(name = "Date")]
impl ScalarType for DateValue {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            // The scalar does not know the argument's name; async-graphql adds the input
            // type it was parsing, and the message quotes the value.
            Value::String(text) => domain::dates::parse_date("value", text)
                .map(DateValue)
                .map_err(|error| InputValueError::custom(error.to_string())),
            other => Err(InputValueError::custom(format!(
                "Date is a string YYYY-MM-DD, not {other}"
            ))),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// `GeoCode`: an ONS GSS code (`E01…` LSOA, `E02…` MSOA, `E05…` ward, `E06…`-`E09…`
/// local authority, `E12…` region).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct GeoCodeValue(pub domain::GeoCode);

#[Scalar(name = "GeoCode")]
impl ScalarType for GeoCodeValue {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => domain::GeoCode::from_str(&text)
                .map(GeoCodeValue)
                .map_err(|error| InputValueError::custom(error.to_string())),
            other => Err(InputValueError::custom(format!(
                "GeoCode is a string such as \"E01000001\", not {other}"
            ))),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.as_str().to_string())
    }
}

/// `Decimal`: an exact decimal number as a string (`"12.5"`), for quantities that are not
/// money. Whole numbers may also be given as GraphQL integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct DecimalValue(pub Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for DecimalValue {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            // The same strict grammar as money: no spaces, `+`, separators or exponents.
            Value::String(text) => domain::money::plain_decimal(text)
                .map(DecimalValue)
                .ok_or_else(|| {
                    InputValueError::custom(format!(
                        "'{text}' is not a decimal number such as 12.5 (digits, an optional point; no spaces, signs, separators or exponents)"
                    ))
                }),
            Value::Number(number) if number.is_i64() => Ok(DecimalValue(Decimal::from(
                number.as_i64().expect("checked to be an i64"),
            ))),
            other => Err(InputValueError::custom(format!(
                "Decimal is a string such as \"12.5\", not {other}"
            ))),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}
