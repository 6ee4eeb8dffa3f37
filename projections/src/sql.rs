//! SQL text built with numbered parameters, bound the same way on both stores.

#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    OptText(Option<String>),
    OptInt(Option<i64>),
}

/// SQL text with `$n` placeholders numbered in order of appearance (SQLite numbers its
/// parameters that way) and the values to bind.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind(&mut self, param: Param) -> &mut Self {
        self.params.push(param);
        let n = self.params.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    /// The number of the parameter bound last, to refer to it again with `param_again`.
    pub(crate) fn last_param(&self) -> usize {
        self.params.len()
    }

    /// Refers to parameter `n` again: the same number, so its value is bound once.
    pub(crate) fn param_again(&mut self, n: usize) -> &mut Self {
        debug_assert!((1..=self.params.len()).contains(&n));
        self.text.push_str(&format!("${n}"));
        self
    }

    pub(crate) fn bind_text(&mut self, text: impl Into<String>) -> &mut Self {
        self.bind(Param::Text(text.into()))
    }
}

macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                $crate::sql::Param::Text(text) => query.bind(text.clone()),
                $crate::sql::Param::Int(value) => query.bind(*value),
                $crate::sql::Param::OptText(text) => query.bind(text.clone()),
                $crate::sql::Param::OptInt(value) => query.bind(*value),
            };
        }
        query
    }};
}

pub(crate) use bind_all;
