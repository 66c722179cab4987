//! Python `re` patterns on top of fancy-regex.
//!
//! Segment operands are Python regular expressions: the official SDK hands them to `re.compile`
//! and treats `re.error` as "no match". fancy-regex accepts a different dialect (it knows
//! `\p{..}`, `(?<name>..)`, `\z`, nested classes and `&&`; Python's `$` also matches before a
//! final newline; Python's `\s`/`\w`/`\d` classify Unicode differently). Handing the pattern
//! over verbatim would therefore turn some invalid Python patterns into matches and miss some
//! valid ones. Instead we parse the pattern with Python's grammar (CPython 3.11 `re._parser`,
//! including its errors) and emit an equivalent fancy-regex pattern in which every literal is
//! escaped and every class is spelled out.
//!
//! Known gaps, all of which make the pattern count as "no match": `\N{NAME}` escapes (no
//! Unicode name table here), patterns whose translation fancy-regex rejects or cannot run
//! within its backtracking limit. Case-insensitive matching uses Unicode simple case folding
//! (Python's folding differs for a handful of characters).

use fancy_regex::Regex;
use std::collections::HashMap;
use std::fmt::Write;

use crate::core::python;

/// Why a pattern did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PatternError {
    /// Python raises `re.error`; the SDK treats it as "no match".
    Invalid(String),
    /// Python raises another exception (`OverflowError`, `ValueError`) that escapes the SDK's
    /// `except re.error`.
    Exception(&'static str),
    /// Valid for Python, but not expressible or not accepted by fancy-regex.
    Unsupported(String),
}

/// Compiles a Python pattern. `ignore_case` is `re.IGNORECASE`; `anchored` gives `re.match`
/// (anchored at the start only) instead of `re.search` semantics.
pub(crate) fn compile(pattern: &str, ignore_case: bool, anchored: bool) -> Result<Regex, PatternError> {
    let mut parser = Parser::new(pattern, if ignore_case { F_I } else { 0 });
    let ast = parser.parse()?;
    let flags = parser.flags;
    let mut out = String::with_capacity(pattern.len() * 2 + 16);
    if flags & F_I != 0 {
        out.push_str("(?i)");
    }
    if anchored {
        out.push_str("\\A(?:");
    }
    let ctx = Ctx {
        dotall: flags & F_S != 0,
        multiline: flags & F_M != 0,
        ascii: flags & F_A != 0,
    };
    emit(&ast, ctx, &mut out)?;
    if anchored {
        out.push(')');
    }
    Regex::new(&out).map_err(|e| PatternError::Unsupported(e.to_string()))
}

/// `re.search(pattern, text)` on a compiled pattern; a runtime failure (backtrack limit) counts
/// as no match.
pub(crate) fn is_match(re: &Regex, text: &str) -> bool {
    re.is_match(text).unwrap_or(false)
}

const F_I: u16 = 1;
const F_L: u16 = 2;
const F_M: u16 = 4;
const F_S: u16 = 8;
const F_X: u16 = 16;
const F_A: u16 = 32;
const F_T: u16 = 64;
const F_U: u16 = 128;
const TYPE_FLAGS: u16 = F_A | F_L | F_U;
const GLOBAL_FLAGS: u16 = F_T;

const MAXREPEAT: u64 = 4_294_967_295;
const MAXGROUPS: u64 = 1_073_741_823;
const MAXCODE: u128 = 4_294_967_295;
const MAXWIDTH: u128 = 1 << 64;

fn flag_of(c: char) -> Option<u16> {
    Some(match c {
        'i' => F_I,
        'L' => F_L,
        'm' => F_M,
        's' => F_S,
        'x' => F_X,
        'a' => F_A,
        't' => F_T,
        'u' => F_U,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Char(char),
    Esc(char),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cat {
    Digit,
    NotDigit,
    Space,
    NotSpace,
    Word,
    NotWord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Beginning,
    End,
    BeginString,
    EndString,
    Boundary,
    NonBoundary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RepKind {
    Greedy,
    Lazy,
    Possessive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClassItem {
    Lit(u32),
    Range(u32, u32),
    Cat(Cat),
}

#[derive(Debug, Clone)]
enum Node {
    Lit(u32),
    Any,
    Class {
        negate: bool,
        items: Vec<ClassItem>,
    },
    Cat(Cat),
    At(At),
    Seq(Vec<Node>),
    Branch(Vec<Node>),
    Group {
        add: u16,
        del: u16,
        capture: bool,
        body: Box<Node>,
    },
    Atomic(Box<Node>),
    Repeat {
        min: u64,
        max: Option<u64>,
        kind: RepKind,
        body: Box<Node>,
    },
    Assert {
        behind: bool,
        negate: bool,
        body: Box<Node>,
    },
    Backref {
        group: u32,
        width: (u128, u128),
    },
    CondRef {
        group: u32,
        yes: Box<Node>,
        no: Option<Box<Node>>,
    },
}

/// Python's `SubPattern.getwidth()`: the (min, max) number of characters a node matches.
fn width(node: &Node) -> (u128, u128) {
    let (lo, hi) = match node {
        Node::Lit(_) | Node::Any | Node::Class { .. } | Node::Cat(_) => (1, 1),
        Node::At(_) | Node::Assert { .. } => (0, 0),
        Node::Seq(items) => items.iter().fold((0u128, 0u128), |(lo, hi), n| {
            let (l, h) = width(n);
            (lo + l, hi + h)
        }),
        Node::Branch(alts) => {
            let mut lo = MAXWIDTH;
            let mut hi = 0;
            for a in alts {
                let (l, h) = width(a);
                lo = lo.min(l);
                hi = hi.max(h);
            }
            (lo, hi)
        }
        Node::Group { body, .. } | Node::Atomic(body) => width(body),
        Node::Repeat { min, max, body, .. } => {
            let (l, h) = width(body);
            let hi = match max {
                None if h > 0 => MAXWIDTH,
                None => 0,
                Some(m) => h.saturating_mul(u128::from(*m)),
            };
            (l.saturating_mul(u128::from(*min)), hi)
        }
        Node::Backref { width, .. } => *width,
        Node::CondRef { yes, no, .. } => {
            let (l, h) = width(yes);
            match no {
                Some(no) => {
                    let (l2, h2) = width(no);
                    (l.min(l2), h.max(h2))
                }
                None => (0, h),
            }
        }
    };
    (lo.min(MAXWIDTH), hi.min(MAXWIDTH))
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    flags: u16,
    group_widths: Vec<Option<(u128, u128)>>,
    group_names: HashMap<String, u32>,
    lookbehind_groups: Option<usize>,
    groupref_pos: Vec<u64>,
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, PatternError> {
    Err(PatternError::Invalid(msg.into()))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => chars.all(|c| c == '_' || c.is_alphanumeric()),
        _ => false,
    }
}

impl Parser {
    fn new(pattern: &str, flags: u16) -> Parser {
        Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            flags,
            group_widths: vec![None],
            group_names: HashMap::new(),
            lookbehind_groups: None,
            groupref_pos: Vec::new(),
        }
    }

    fn peek(&self) -> Result<Option<Tok>, PatternError> {
        match self.chars.get(self.pos) {
            None => Ok(None),
            Some('\\') => match self.chars.get(self.pos + 1) {
                Some(&c) => Ok(Some(Tok::Esc(c))),
                None => invalid("bad escape (end of pattern)"),
            },
            Some(&c) => Ok(Some(Tok::Char(c))),
        }
    }

    fn get(&mut self) -> Result<Option<Tok>, PatternError> {
        let t = self.peek()?;
        match t {
            Some(Tok::Esc(_)) => self.pos += 2,
            Some(Tok::Char(_)) => self.pos += 1,
            None => {}
        }
        Ok(t)
    }

    fn matches(&mut self, c: char) -> Result<bool, PatternError> {
        if self.peek()? == Some(Tok::Char(c)) {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// Python's `getwhile`: up to `n` plain characters satisfying `pred`.
    fn take_while(&mut self, n: usize, pred: impl Fn(char) -> bool) -> Result<String, PatternError> {
        let mut s = String::new();
        for _ in 0..n {
            match self.peek()? {
                Some(Tok::Char(c)) if pred(c) => {
                    s.push(c);
                    self.pos += 1;
                }
                _ => break,
            }
        }
        Ok(s)
    }

    /// Python's `getuntil`: the token text up to `terminator`, which must not be empty.
    fn take_until(&mut self, terminator: char) -> Result<String, PatternError> {
        let mut s = String::new();
        loop {
            match self.get()? {
                None => return invalid("missing terminator"),
                Some(Tok::Char(c)) if c == terminator => {
                    if s.is_empty() {
                        return invalid("missing group name");
                    }
                    return Ok(s);
                }
                Some(Tok::Char(c)) => s.push(c),
                Some(Tok::Esc(c)) => {
                    s.push('\\');
                    s.push(c);
                }
            }
        }
    }

    fn groups(&self) -> usize {
        self.group_widths.len()
    }

    fn group_closed(&self, gid: usize) -> bool {
        gid < self.groups() && self.group_widths.get(gid).is_some_and(Option::is_some)
    }

    fn check_lookbehind_group(&self, gid: usize) -> Result<(), PatternError> {
        if let Some(limit) = self.lookbehind_groups {
            if !self.group_closed(gid) {
                return invalid("cannot refer to an open group");
            }
            if gid >= limit {
                return invalid("cannot refer to group defined in the same lookbehind subpattern");
            }
        }
        Ok(())
    }

    fn group_width(&self, gid: usize) -> (u128, u128) {
        self.group_widths.get(gid).copied().flatten().unwrap_or((0, 0))
    }

    fn parse(&mut self) -> Result<Node, PatternError> {
        let verbose = self.flags & F_X != 0;
        let node = self.parse_sub(verbose, 0)?;
        if self.flags & F_A != 0 && self.flags & F_U != 0 {
            return Err(PatternError::Exception("ValueError"));
        }
        if self.peek()?.is_some() {
            return invalid("unbalanced parenthesis");
        }
        let groups = self.groups() as u64;
        if self.groupref_pos.iter().any(|&g| g >= groups) {
            return invalid("invalid group reference");
        }
        Ok(node)
    }

    fn parse_sub(&mut self, mut verbose: bool, nested: usize) -> Result<Node, PatternError> {
        let mut items = Vec::new();
        loop {
            let first = nested == 0 && items.is_empty();
            items.push(self.parse_seq(verbose, nested + 1, first)?);
            if !self.matches('|')? {
                break;
            }
            if nested == 0 {
                verbose = self.flags & F_X != 0;
            }
        }
        if items.len() == 1 {
            return Ok(items.pop().unwrap_or(Node::Seq(Vec::new())));
        }
        Ok(Node::Branch(items))
    }

    fn parse_seq(&mut self, mut verbose: bool, nested: usize, first: bool) -> Result<Node, PatternError> {
        let mut seq: Vec<Node> = Vec::new();
        loop {
            let tok = match self.peek()? {
                None | Some(Tok::Char('|')) | Some(Tok::Char(')')) => break,
                Some(t) => t,
            };
            self.get()?;
            if verbose {
                match tok {
                    Tok::Char(' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c') => continue,
                    Tok::Char('#') => {
                        loop {
                            match self.get()? {
                                None | Some(Tok::Char('\n')) => break,
                                _ => {}
                            }
                        }
                        continue;
                    }
                    _ => {}
                }
            }
            match tok {
                Tok::Esc(c) => seq.push(self.escape(c)?),
                Tok::Char('[') => seq.push(self.class()?),
                Tok::Char(c @ ('*' | '+' | '?' | '{')) => {
                    let (min, max) = match c {
                        '?' => (0, Some(1)),
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => match self.braces()? {
                            Some(bounds) => bounds,
                            None => {
                                seq.push(Node::Lit('{' as u32));
                                continue;
                            }
                        },
                    };
                    let body = match seq.pop() {
                        None | Some(Node::At(_)) => return invalid("nothing to repeat"),
                        Some(Node::Repeat { .. }) => return invalid("multiple repeat"),
                        Some(item) => item,
                    };
                    let kind = if self.matches('?')? {
                        RepKind::Lazy
                    } else if self.matches('+')? {
                        RepKind::Possessive
                    } else {
                        RepKind::Greedy
                    };
                    seq.push(Node::Repeat {
                        min,
                        max,
                        kind,
                        body: Box::new(body),
                    });
                }
                Tok::Char('.') => seq.push(Node::Any),
                Tok::Char('(') => {
                    if let Some(node) = self.group(&mut verbose, nested, first && seq.is_empty())? {
                        seq.push(node);
                    }
                }
                Tok::Char('^') => seq.push(Node::At(At::Beginning)),
                Tok::Char('$') => seq.push(Node::At(At::End)),
                Tok::Char(c) => seq.push(Node::Lit(c as u32)),
            }
        }
        Ok(Node::Seq(seq))
    }

    /// After `{`: the bounds of a `{m,n}` quantifier, or `None` when the brace is a literal.
    fn braces(&mut self) -> Result<Option<(u64, Option<u64>)>, PatternError> {
        if self.peek()? == Some(Tok::Char('}')) {
            return Ok(None);
        }
        let here = self.pos;
        let lo = self.take_while(usize::MAX, |c| c.is_ascii_digit())?;
        let hi = if self.matches(',')? {
            Some(self.take_while(usize::MAX, |c| c.is_ascii_digit())?)
        } else {
            None
        };
        if !self.matches('}')? {
            self.pos = here;
            return Ok(None);
        }
        let count = |digits: &str| -> Result<u64, PatternError> {
            if digits.len() > python::INT_MAX_STR_DIGITS {
                return Err(PatternError::Exception("ValueError"));
            }
            match digits.trim_start_matches('0').len() {
                n if n > 10 => Err(PatternError::Exception("OverflowError")),
                _ => match digits.parse::<u64>() {
                    Ok(v) if v < MAXREPEAT => Ok(v),
                    _ => Err(PatternError::Exception("OverflowError")),
                },
            }
        };
        let min = if lo.is_empty() { 0 } else { count(&lo)? };
        let max = match &hi {
            None if lo.is_empty() => None,
            None => Some(min),
            Some(h) if h.is_empty() => None,
            Some(h) => Some(count(h)?),
        };
        if let Some(max) = max {
            if max < min {
                return invalid("min repeat greater than max repeat");
            }
        }
        Ok(Some((min, max)))
    }

    fn hex_escape(&mut self, prefix: char, digits: usize) -> Result<u32, PatternError> {
        let hex = self.take_while(digits, |c| c.is_ascii_hexdigit())?;
        if hex.len() != digits {
            return invalid(format!("incomplete escape \\{prefix}{hex}"));
        }
        let v = u32::from_str_radix(&hex, 16).map_err(|_| PatternError::Invalid("bad escape".into()))?;
        if v > 0x10FFFF {
            return invalid(format!("bad escape \\{prefix}{hex}"));
        }
        Ok(v)
    }

    fn named_escape(&mut self) -> Result<u32, PatternError> {
        if !self.matches('{')? {
            return invalid("missing {");
        }
        let name = self.take_until('}')?;
        Err(PatternError::Unsupported(format!("\\N{{{name}}}")))
    }

    /// Python's `_escape`: an escape outside a character class.
    fn escape(&mut self, c: char) -> Result<Node, PatternError> {
        Ok(match c {
            'A' => Node::At(At::BeginString),
            'Z' => Node::At(At::EndString),
            'b' => Node::At(At::Boundary),
            'B' => Node::At(At::NonBoundary),
            'd' => Node::Cat(Cat::Digit),
            'D' => Node::Cat(Cat::NotDigit),
            's' => Node::Cat(Cat::Space),
            'S' => Node::Cat(Cat::NotSpace),
            'w' => Node::Cat(Cat::Word),
            'W' => Node::Cat(Cat::NotWord),
            'a' => Node::Lit(7),
            'f' => Node::Lit(0x0C),
            'n' => Node::Lit(0x0A),
            'r' => Node::Lit(0x0D),
            't' => Node::Lit(0x09),
            'v' => Node::Lit(0x0B),
            '\\' => Node::Lit('\\' as u32),
            'x' => Node::Lit(self.hex_escape('x', 2)?),
            'u' => Node::Lit(self.hex_escape('u', 4)?),
            'U' => Node::Lit(self.hex_escape('U', 8)?),
            'N' => Node::Lit(self.named_escape()?),
            '0' => {
                let oct = self.take_while(2, |c| ('0'..='7').contains(&c))?;
                Node::Lit(u32::from_str_radix(&format!("0{oct}"), 8).unwrap_or(0))
            }
            '1'..='9' => {
                let mut digits = String::from(c);
                if let Some(Tok::Char(d)) = self.peek()? {
                    if d.is_ascii_digit() {
                        self.pos += 1;
                        digits.push(d);
                        let octal = |c: char| ('0'..='7').contains(&c);
                        if let (true, true, Some(Tok::Char(e))) = (octal(c), octal(d), self.peek()?) {
                            if octal(e) {
                                self.pos += 1;
                                digits.push(e);
                                let v = u32::from_str_radix(&digits, 8).unwrap_or(u32::MAX);
                                if v > 0o377 {
                                    return invalid(format!("octal escape value \\{digits} outside of range 0-0o377"));
                                }
                                return Ok(Node::Lit(v));
                            }
                        }
                    }
                }
                let gid: usize = digits.parse().unwrap_or(usize::MAX);
                if gid < self.groups() {
                    if !self.group_closed(gid) {
                        return invalid("cannot refer to an open group");
                    }
                    self.check_lookbehind_group(gid)?;
                    return Ok(Node::Backref {
                        group: gid as u32,
                        width: self.group_width(gid),
                    });
                }
                return invalid(format!("invalid group reference {gid}"));
            }
            c if c.is_ascii_alphabetic() => return invalid(format!("bad escape \\{c}")),
            c => Node::Lit(c as u32),
        })
    }

    /// Python's `_class_escape`: an escape inside a character class.
    fn class_escape(&mut self, c: char) -> Result<ClassItem, PatternError> {
        Ok(match c {
            'a' => ClassItem::Lit(7),
            'b' => ClassItem::Lit(8),
            'f' => ClassItem::Lit(0x0C),
            'n' => ClassItem::Lit(0x0A),
            'r' => ClassItem::Lit(0x0D),
            't' => ClassItem::Lit(0x09),
            'v' => ClassItem::Lit(0x0B),
            '\\' => ClassItem::Lit('\\' as u32),
            'd' => ClassItem::Cat(Cat::Digit),
            'D' => ClassItem::Cat(Cat::NotDigit),
            's' => ClassItem::Cat(Cat::Space),
            'S' => ClassItem::Cat(Cat::NotSpace),
            'w' => ClassItem::Cat(Cat::Word),
            'W' => ClassItem::Cat(Cat::NotWord),
            'x' => ClassItem::Lit(self.hex_escape('x', 2)?),
            'u' => ClassItem::Lit(self.hex_escape('u', 4)?),
            'U' => ClassItem::Lit(self.hex_escape('U', 8)?),
            'N' => ClassItem::Lit(self.named_escape()?),
            '0'..='7' => {
                let oct = self.take_while(2, |c| ('0'..='7').contains(&c))?;
                let v = u32::from_str_radix(&format!("{c}{oct}"), 8).unwrap_or(u32::MAX);
                if v > 0o377 {
                    return invalid(format!("octal escape value \\{c}{oct} outside of range 0-0o377"));
                }
                ClassItem::Lit(v)
            }
            c if c.is_ascii_alphanumeric() => return invalid(format!("bad escape \\{c}")),
            c => ClassItem::Lit(c as u32),
        })
    }

    /// After `[`: a character class.
    fn class(&mut self) -> Result<Node, PatternError> {
        let negate = self.matches('^')?;
        let mut items: Vec<ClassItem> = Vec::new();
        loop {
            let this = match self.get()? {
                None => return invalid("unterminated character set"),
                Some(t) => t,
            };
            if this == Tok::Char(']') && !items.is_empty() {
                break;
            }
            let code1 = match this {
                Tok::Esc(c) => self.class_escape(c)?,
                Tok::Char(c) => ClassItem::Lit(c as u32),
            };
            if self.matches('-')? {
                let that = match self.get()? {
                    None => return invalid("unterminated character set"),
                    Some(t) => t,
                };
                if that == Tok::Char(']') {
                    items.push(code1);
                    items.push(ClassItem::Lit('-' as u32));
                    break;
                }
                let code2 = match that {
                    Tok::Esc(c) => self.class_escape(c)?,
                    Tok::Char(c) => ClassItem::Lit(c as u32),
                };
                match (code1, code2) {
                    (ClassItem::Lit(lo), ClassItem::Lit(hi)) if lo <= hi => items.push(ClassItem::Range(lo, hi)),
                    _ => return invalid("bad character range"),
                }
            } else {
                items.push(code1);
            }
        }
        Ok(Node::Class { negate, items })
    }

    /// After `(`: a group, extension or inline flags. `None` when nothing is added to the
    /// sequence (a comment or global flags).
    fn group(&mut self, verbose: &mut bool, nested: usize, first: bool) -> Result<Option<Node>, PatternError> {
        let mut capture = true;
        let mut atomic = false;
        let mut name: Option<String> = None;
        let mut add = 0u16;
        let mut del = 0u16;
        if self.matches('?')? {
            let c = match self.get()? {
                None => return invalid("unexpected end of pattern"),
                Some(Tok::Esc(c)) => return invalid(format!("unknown extension ?\\{c}")),
                Some(Tok::Char(c)) => c,
            };
            match c {
                'P' => {
                    if self.matches('<')? {
                        let n = self.take_until('>')?;
                        if !is_identifier(&n) {
                            return invalid(format!("bad character in group name {n:?}"));
                        }
                        name = Some(n);
                    } else if self.matches('=')? {
                        let n = self.take_until(')')?;
                        if !is_identifier(&n) {
                            return invalid(format!("bad character in group name {n:?}"));
                        }
                        let gid = match self.group_names.get(&n) {
                            None => return invalid(format!("unknown group name {n:?}")),
                            Some(&g) => g as usize,
                        };
                        if !self.group_closed(gid) {
                            return invalid("cannot refer to an open group");
                        }
                        self.check_lookbehind_group(gid)?;
                        return Ok(Some(Node::Backref {
                            group: gid as u32,
                            width: self.group_width(gid),
                        }));
                    } else {
                        return invalid("unknown extension ?P");
                    }
                }
                ':' => capture = false,
                '#' => loop {
                    match self.get()? {
                        None => return invalid("missing ), unterminated comment"),
                        Some(Tok::Char(')')) => return Ok(None),
                        _ => {}
                    }
                },
                '=' | '!' | '<' => {
                    let (behind, negate) = match c {
                        '=' => (false, false),
                        '!' => (false, true),
                        _ => match self.get()? {
                            Some(Tok::Char('=')) => (true, false),
                            Some(Tok::Char('!')) => (true, true),
                            None => return invalid("unexpected end of pattern"),
                            Some(_) => return invalid("unknown extension ?<"),
                        },
                    };
                    let outer = self.lookbehind_groups;
                    if behind && outer.is_none() {
                        self.lookbehind_groups = Some(self.groups());
                    }
                    let body = self.parse_sub(*verbose, nested + 1)?;
                    if behind && outer.is_none() {
                        self.lookbehind_groups = None;
                    }
                    if !self.matches(')')? {
                        return invalid("missing ), unterminated subpattern");
                    }
                    return Ok(Some(Node::Assert {
                        behind,
                        negate,
                        body: Box::new(body),
                    }));
                }
                '(' => return self.conditional(*verbose, nested).map(Some),
                '>' => {
                    capture = false;
                    atomic = true;
                }
                c if c == '-' || flag_of(c).is_some() => match self.inline_flags(c)? {
                    None => {
                        if !first {
                            return invalid("global flags not at the start of the expression");
                        }
                        *verbose = self.flags & F_X != 0;
                        return Ok(None);
                    }
                    Some((a, d)) => {
                        add = a;
                        del = d;
                        capture = false;
                    }
                },
                c => return invalid(format!("unknown extension ?{c}")),
            }
        }
        let gid = if capture {
            let gid = self.groups();
            if gid as u64 >= MAXGROUPS {
                return invalid("too many groups");
            }
            self.group_widths.push(None);
            if let Some(n) = name {
                if self.group_names.contains_key(&n) {
                    return invalid(format!("redefinition of group name {n:?}"));
                }
                self.group_names.insert(n, gid as u32);
            }
            Some(gid)
        } else {
            None
        };
        let sub_verbose = (*verbose || add & F_X != 0) && del & F_X == 0;
        let body = self.parse_sub(sub_verbose, nested + 1)?;
        if !self.matches(')')? {
            return invalid("missing ), unterminated subpattern");
        }
        if let Some(gid) = gid {
            let w = width(&body);
            if let Some(slot) = self.group_widths.get_mut(gid) {
                *slot = Some(w);
            }
        }
        let body = Box::new(body);
        Ok(Some(if atomic {
            Node::Atomic(body)
        } else {
            Node::Group {
                add,
                del,
                capture: gid.is_some(),
                body,
            }
        }))
    }

    /// After `(?(`: a conditional on whether a group matched.
    fn conditional(&mut self, verbose: bool, nested: usize) -> Result<Node, PatternError> {
        let cond = self.take_until(')')?;
        let gid: u64 = if is_identifier(&cond) {
            match self.group_names.get(&cond) {
                None => return invalid(format!("unknown group name {cond:?}")),
                Some(&g) => u64::from(g),
            }
        } else {
            let n = match python::parse_int(&cond) {
                Some(n) => n.to_i64(),
                None => return invalid(format!("bad character in group name {cond:?}")),
            };
            match n {
                Some(n) if n < 0 => return invalid(format!("bad character in group name {cond:?}")),
                Some(0) => return invalid("bad group number"),
                Some(n) if (n as u64) < MAXGROUPS => {
                    self.groupref_pos.push(n as u64);
                    n as u64
                }
                _ => return invalid("invalid group reference"),
            }
        };
        self.check_lookbehind_group(gid as usize)?;
        let yes = self.parse_seq(verbose, nested + 1, false)?;
        let no = if self.matches('|')? {
            let no = self.parse_seq(verbose, nested + 1, false)?;
            if self.peek()? == Some(Tok::Char('|')) {
                return invalid("conditional backref with more than two branches");
            }
            Some(Box::new(no))
        } else {
            None
        };
        if !self.matches(')')? {
            return invalid("missing ), unterminated subpattern");
        }
        Ok(Node::CondRef {
            group: gid as u32,
            yes: Box::new(yes),
            no,
        })
    }

    /// Python's `_parse_flags`, `first` being the character after `(?`. `None` for global
    /// flags (`(?i)`), otherwise the flags a scoped group `(?i-s:...)` adds and removes.
    fn inline_flags(&mut self, first: char) -> Result<Option<(u16, u16)>, PatternError> {
        let mut add = 0u16;
        let mut del = 0u16;
        let mut c = Tok::Char(first);
        if first != '-' {
            loop {
                let Tok::Char(ch) = c else {
                    return invalid("missing -, : or )");
                };
                let Some(flag) = flag_of(ch) else {
                    return invalid("unknown flag");
                };
                if ch == 'L' {
                    return invalid("bad inline flags: cannot use 'L' flag with a str pattern");
                }
                add |= flag;
                if flag & TYPE_FLAGS != 0 && add & TYPE_FLAGS != flag {
                    return invalid("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
                }
                c = match self.get()? {
                    None => return invalid("missing -, : or )"),
                    Some(t) => t,
                };
                if matches!(c, Tok::Char(')' | '-' | ':')) {
                    break;
                }
                if !matches!(c, Tok::Char(x) if flag_of(x).is_some()) {
                    return invalid("unknown flag");
                }
            }
        }
        if c == Tok::Char(')') {
            self.flags |= add;
            return Ok(None);
        }
        if add & GLOBAL_FLAGS != 0 {
            return invalid("bad inline flags: cannot turn on global flag");
        }
        if c == Tok::Char('-') {
            c = match self.get()? {
                None => return invalid("missing flag"),
                Some(t) => t,
            };
            loop {
                let Some(flag) = (match c {
                    Tok::Char(x) => flag_of(x),
                    Tok::Esc(_) => None,
                }) else {
                    return invalid("unknown flag");
                };
                if flag & TYPE_FLAGS != 0 {
                    return invalid("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
                }
                del |= flag;
                c = match self.get()? {
                    None => return invalid("missing :"),
                    Some(t) => t,
                };
                if c == Tok::Char(':') {
                    break;
                }
            }
        }
        if del & GLOBAL_FLAGS != 0 {
            return invalid("bad inline flags: cannot turn off global flag");
        }
        if add & del != 0 {
            return invalid("bad inline flags: flag turned on and off");
        }
        Ok(Some((add, del)))
    }
}

/// Flags that change how nodes are spelled for fancy-regex (ignore-case is passed through as
/// `(?i)` groups instead).
#[derive(Debug, Clone, Copy)]
struct Ctx {
    dotall: bool,
    multiline: bool,
    ascii: bool,
}

/// A class that never matches (a lone surrogate cannot occur in Rust text).
const NOTHING: &str = "[^\\x{0}-\\x{10FFFF}]";

fn push_char(out: &mut String, cp: u32) {
    match char::from_u32(cp) {
        Some(c) if c.is_ascii_alphanumeric() => out.push(c),
        _ => {
            let _ = write!(out, "\\x{{{cp:X}}}");
        }
    }
}

/// The members of a category, to be placed inside `[...]`.
fn cat_members(cat: Cat, ascii: bool, out: &mut String) {
    let positive = matches!(cat, Cat::Digit | Cat::Space | Cat::Word);
    if !positive {
        out.push_str("[^");
    }
    match (cat, ascii) {
        (Cat::Digit | Cat::NotDigit, true) => out.push_str("0-9"),
        (Cat::Digit | Cat::NotDigit, false) => {
            for (lo, hi) in python::decimal_ranges() {
                let _ = write!(out, "\\x{{{lo:X}}}-\\x{{{hi:X}}}");
            }
        }
        (Cat::Space | Cat::NotSpace, true) => out.push_str("\\x{9}-\\x{D}\\x{20}"),
        (Cat::Space | Cat::NotSpace, false) => out.push_str(
            "\\x{9}-\\x{D}\\x{1C}-\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}",
        ),
        (Cat::Word | Cat::NotWord, true) => out.push_str("0-9A-Za-z_"),
        // Python's `\w` is exactly "letter, number or underscore" (str.isalnum() or '_').
        (Cat::Word | Cat::NotWord, false) => out.push_str("\\p{L}\\p{N}_"),
    }
    if !positive {
        out.push(']');
    }
}

fn word_class(ascii: bool) -> &'static str {
    if ascii {
        "[0-9A-Za-z_]"
    } else {
        "[\\p{L}\\p{N}_]"
    }
}

fn emit(node: &Node, ctx: Ctx, out: &mut String) -> Result<(), PatternError> {
    match node {
        Node::Lit(cp) => {
            if char::from_u32(*cp).is_some() {
                push_char(out, *cp);
            } else {
                out.push_str(NOTHING);
            }
        }
        Node::Any => out.push_str(if ctx.dotall { "(?s:.)" } else { "." }),
        Node::Cat(cat) => {
            out.push('[');
            cat_members(*cat, ctx.ascii, out);
            out.push(']');
        }
        Node::Class { negate, items } => {
            let mut inner = String::new();
            for item in items {
                match *item {
                    ClassItem::Lit(cp) => {
                        if char::from_u32(cp).is_some() {
                            push_char(&mut inner, cp);
                        }
                    }
                    ClassItem::Range(lo, hi) => {
                        // Surrogates cannot occur in Rust text: keep the parts around them.
                        for (a, b) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
                            if a <= b {
                                push_char(&mut inner, a);
                                inner.push('-');
                                push_char(&mut inner, b);
                            }
                        }
                    }
                    ClassItem::Cat(cat) => cat_members(cat, ctx.ascii, &mut inner),
                }
            }
            match (inner.is_empty(), negate) {
                (true, false) => out.push_str(NOTHING),
                (true, true) => out.push_str("(?s:.)"),
                (false, _) => {
                    out.push('[');
                    if *negate {
                        out.push('^');
                    }
                    out.push_str(&inner);
                    out.push(']');
                }
            }
        }
        Node::At(at) => {
            let w = word_class(ctx.ascii);
            match at {
                At::Beginning if ctx.multiline => out.push_str("(?m:^)"),
                At::Beginning | At::BeginString => out.push_str("\\A"),
                At::End if ctx.multiline => out.push_str("(?m:$)"),
                // Python's `$` also matches before a newline that ends the text.
                At::End => out.push_str("(?=\\n?\\z)"),
                At::EndString => out.push_str("\\z"),
                At::Boundary => {
                    let _ = write!(out, "(?:(?<={w})(?!{w})|(?<!{w})(?={w}))");
                }
                // SRE never finds a non-boundary in the empty text.
                At::NonBoundary => {
                    let _ = write!(out, "(?:(?!\\A\\z)(?:(?<={w})(?={w})|(?<!{w})(?!{w})))");
                }
            }
        }
        Node::Seq(items) => {
            for item in items {
                emit(item, ctx, out)?;
            }
        }
        Node::Branch(alts) => {
            out.push_str("(?:");
            for (i, alt) in alts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(alt, ctx, out)?;
            }
            out.push(')');
        }
        Node::Group {
            add,
            del,
            capture,
            body,
        } => {
            let mut inner = ctx;
            if add & F_A != 0 {
                inner.ascii = true;
            }
            if add & F_U != 0 {
                inner.ascii = false;
            }
            if add & F_S != 0 {
                inner.dotall = true;
            }
            if del & F_S != 0 {
                inner.dotall = false;
            }
            if add & F_M != 0 {
                inner.multiline = true;
            }
            if del & F_M != 0 {
                inner.multiline = false;
            }
            out.push_str(if *capture { "(" } else { "(?:" });
            let case = if add & F_I != 0 {
                Some("(?i:")
            } else if del & F_I != 0 {
                Some("(?-i:")
            } else {
                None
            };
            if let Some(open) = case {
                out.push_str(open);
            }
            emit(body, inner, out)?;
            if case.is_some() {
                out.push(')');
            }
            out.push(')');
        }
        Node::Atomic(body) => {
            out.push_str("(?>");
            emit(body, ctx, out)?;
            out.push(')');
        }
        Node::Repeat { min, max, kind, body } => {
            if width(body).1 == 0 {
                // fancy-regex refuses to repeat zero-width items; repeating one is the same as
                // trying it once (min > 0) or optionally.
                let mut inner = String::new();
                emit(body, ctx, &mut inner)?;
                match (*min, kind) {
                    (0, RepKind::Greedy) => {
                        let _ = write!(out, "(?:{inner}|)");
                    }
                    (0, RepKind::Lazy) => {
                        let _ = write!(out, "(?:|{inner})");
                    }
                    (0, RepKind::Possessive) => {
                        let _ = write!(out, "(?>{inner}|)");
                    }
                    _ => {
                        let _ = write!(out, "(?:{inner})");
                    }
                }
                return Ok(());
            }
            out.push_str("(?:");
            emit(body, ctx, out)?;
            out.push(')');
            let _ = match (min, max) {
                (0, None) => write!(out, "*"),
                (1, None) => write!(out, "+"),
                (0, Some(1)) => write!(out, "?"),
                (m, None) => write!(out, "{{{m},}}"),
                (m, Some(n)) => write!(out, "{{{m},{n}}}"),
            };
            match kind {
                RepKind::Greedy => {}
                RepKind::Lazy => out.push('?'),
                RepKind::Possessive => out.push('+'),
            }
        }
        Node::Assert { behind, negate, body } => {
            if *behind {
                let (lo, hi) = width(body);
                if lo > MAXCODE {
                    return invalid("looks too much behind");
                }
                if lo != hi {
                    return invalid("look-behind requires fixed-width pattern");
                }
            }
            out.push_str(match (behind, negate) {
                (false, false) => "(?=",
                (false, true) => "(?!",
                (true, false) => "(?<=",
                (true, true) => "(?<!",
            });
            emit(body, ctx, out)?;
            out.push(')');
        }
        Node::Backref { group, .. } => {
            let _ = write!(out, "\\k<{group}>");
        }
        Node::CondRef { group, yes, no } => {
            let _ = write!(out, "(?({group})");
            emit(yes, ctx, out)?;
            out.push('|');
            if let Some(no) = no {
                emit(no, ctx, out)?;
            }
            out.push(')');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(pattern: &str, text: &str) -> Result<bool, PatternError> {
        compile(pattern, false, false).map(|re| is_match(&re, text))
    }

    /// Expected values measured with CPython 3.11.7 `re.compile(p).search(t)`; `None` marks a
    /// pattern Python rejects with `re.error`.
    #[test]
    fn matches_python_re_search() {
        let cases: &[(&str, &str, Option<bool>)] = &[
            ("abc$", "abc\n", Some(true)),
            ("abc$", "abc", Some(true)),
            ("a$", "a\n\n", Some(false)),
            ("^(.*)\\.(jpg|png)$", "x.png\n", Some(true)),
            ("\\b$", "a\n", Some(true)),
            ("a{", "a{", Some(true)),
            ("{abc}", "{abc}", Some(true)),
            ("a{,2}", "aa", Some(true)),
            ("a{2", "a{2", Some(true)),
            ("x{}", "x{}", Some(true)),
            ("a{,}", "aaa", Some(true)),
            ("a\\Z", "a", Some(true)),
            ("a\\Z", "a\n", Some(false)),
            ("\\z", "z", None),
            ("\\p{L}", "a", None),
            ("[\\p{L}]", "a", None),
            ("\\e", "e", None),
            ("\\G", "a", None),
            ("\\h", "a", None),
            ("\\K", "a", None),
            ("\\k<n>", "a", None),
            ("(?P<n>a)\\k<n>", "aa", None),
            ("(?<n>a)", "a", None),
            ("[[]", "[", Some(true)),
            ("[[:alpha:]]", "a", Some(false)),
            ("[[:alpha:]]", ":]", Some(true)),
            ("[a&&b]", "&", Some(true)),
            ("[a~~b]", "~", Some(true)),
            ("[a--b]", "-", None),
            ("(?P<n>a)(?P=n)", "aa", Some(true)),
            ("(a)\\1", "aa", Some(true)),
            ("(?#c)a", "a", Some(true)),
            ("\\0", "\u{0}", Some(true)),
            ("\\101", "A", Some(true)),
            ("\\08", "\u{0}8", Some(true)),
            ("(?<=a)b", "ab", Some(true)),
            ("(?(1)a|b)", "b", None),
            ("a++", "aa", Some(true)),
            ("(?>a)", "a", Some(true)),
            ("\\d", "\u{662}", Some(true)),
            ("\\d", "²", Some(false)),
            ("\\s", "\u{1c}", Some(true)),
            ("\\w", "_", Some(true)),
            ("\\w", "²", Some(true)),
            ("\\w", "\u{301}", Some(false)),
            ("x(?i)", "x", None),
            ("(?i)X", "x", Some(true)),
            ("(?i)(?s)a", "A", Some(true)),
            ("a|(?i)b", "a", None),
            ("(?i-i:a)", "a", None),
            ("[]a]", "]", Some(true)),
            ("[^]a]", "b", Some(true)),
            ("[^]]", "]", Some(false)),
            ("[]", "x", None),
            ("[a-]", "-", Some(true)),
            ("[\\d-a]", "a", None),
            ("a|*", "a", None),
            ("*a", "a", None),
            ("(?u)a", "a", Some(true)),
            ("(?a)\\d", "1", Some(true)),
            ("(?a)\\d", "\u{662}", Some(false)),
            ("(?L)a", "a", None),
            ("(?t)a", "a", Some(true)),
            ("\\x41", "A", Some(true)),
            ("\\x4", "x", None),
            ("\\u0041", "A", Some(true)),
            ("\\U00000041", "A", Some(true)),
            ("\\U00110000", "x", None),
            ("[\\b]", "\u{8}", Some(true)),
            ("\\b", "a", Some(true)),
            ("\\b", "", Some(false)),
            ("\\B", "", Some(false)),
            ("\\B", "ab", Some(true)),
            ("[\\A]", "A", None),
            ("[\\8]", "8", None),
            ("\\8", "8", None),
            ("\\-", "-", Some(true)),
            ("\\/", "/", Some(true)),
            ("(?x) a b # c", "ab", Some(true)),
            ("(?x:a b)c", "abc", Some(true)),
            ("(?s).", "\n", Some(true)),
            (".", "\n", Some(false)),
            ("^b", "a\nb", Some(false)),
            ("(?m)^b", "a\nb", Some(true)),
            ("(?m)a$", "a\nb", Some(true)),
            ("a{2}{3}", "aaaaaa", None),
            ("a**", "a", None),
            ("a??+", "a", None),
            ("a{1,2}+", "a", Some(true)),
            ("[z-a]", "a", None),
            ("(", "(", None),
            (")", ")", None),
            ("(a))", "", None),
            ("[", "[", None),
            ("a]", "a]", Some(true)),
            ("}", "}", Some(true)),
            ("x{2,1}", "x", None),
            ("(?<=a|bc)d", "bcd", None),
            ("(?<=a+)b", "ab", None),
            ("(?<=a{2})b", "aab", Some(true)),
            ("(?<=a(b))c", "abc", Some(true)),
            ("(?<=(a)\\1)c", "aac", None),
            ("(a)(?<=\\1)c", "ac", Some(true)),
            ("(?<!)a", "a", Some(false)),
            ("(?=a)*", "a", Some(true)),
            ("(?:)*", "a", Some(true)),
            ("\\b*", "a", None),
            ("(?:^)*", "a", Some(true)),
            ("(?#x", "x", None),
            ("(?P>a)", "a", None),
            ("(?", "a", None),
            ("\\1(a)", "a", None),
            ("(a\\1)", "a", None),
            ("(a)(?(1)b)", "ab", Some(true)),
            ("(?(a)x)", "x", None),
            ("(?P<a>x)(?(a)y)", "xy", Some(true)),
            ("(?P<1>a)", "a", None),
            ("(?P<a-b>a)", "a", None),
            ("(?P<é>a)", "a", Some(true)),
            ("(?i)É", "é", Some(true)),
            ("myregex+", "myregexxx", Some(true)),
            ("\\", "a", None),
        ];
        for &(pattern, text, want) in cases {
            let got = match search(pattern, text) {
                Ok(b) => Some(b),
                Err(PatternError::Invalid(_)) => None,
                Err(e) => panic!("{pattern:?}: unexpected {e:?}"),
            };
            assert_eq!(got, want, "re.search({pattern:?}, {text:?})");
        }
    }

    #[test]
    fn non_re_errors_are_exceptions() {
        assert_eq!(
            search("x{99999999999}", "x").err(),
            Some(PatternError::Exception("OverflowError"))
        );
        assert_eq!(
            search("(?a)(?u)a", "a").err(),
            Some(PatternError::Exception("ValueError"))
        );
        assert!(matches!(
            search("\\N{DIGIT ONE}", "1"),
            Err(PatternError::Unsupported(_))
        ));
    }

    #[test]
    fn anchored_ignore_case_is_re_match() {
        let re = compile("chrome.*", true, true).expect("compiles");
        assert!(is_match(&re, "Chrome 120"));
        assert!(!is_match(&re, "Mobile Chrome"));
        let re = compile("a|b", true, true).expect("compiles");
        assert!(is_match(&re, "Bx"));
        assert!(!is_match(&re, "xb"));
    }
}
