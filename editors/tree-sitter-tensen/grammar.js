/**
 * @file Tree-sitter grammar for tensen rule files (`*.tsn`).
 *
 * Mirrors `grammar/tensen.lalrpop`, the source of truth. Where the two
 * disagree, the LALRPOP grammar is right and this file has a bug.
 *
 * Notes:
 * - Keywords are reserved (see `reserved`) but soft where tensen allows it:
 *   the clause keywords may start a field path
 *   (`when severity > 7`) and after `.` any word is a field name
 *   (`requestParameters.from`). They are aliased to `identifier` /
 *   `field_name` there.
 * - Nested block comments and string contents come from `src/scanner.c`.
 * - The expression levels are layered exactly like the LALRPOP grammar
 *   (or < and < not < comparison < + - < * / < unary -), so comparisons do
 *   not chain and no precedence declarations are needed.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

// Clause keywords that may also start a field path.
const SOFT_ROOT = [
  'source', 'signal', 'sequence', 'guardrail', 'test', 'time', 'field',
  'title', 'severity', 'tactic', 'technique', 'report', 'entity', 'summary',
  'steps', 'count', 'scope', 'message', 'input', 'event', 'expect',
  'recognize', 'derive', 'deny', 'applies', 'require', 'optional', 'absent',
  'unordered',
];

// The remaining keywords: valid as a field name after a dot only.
const HARD = [
  'let', 'on', 'distinct', 'from', 'when', 'by', 'within', 'until', 'except',
  'and', 'or', 'not', 'in', 'matches', 'contains', 'starts_with', 'ends_with',
  'exists', 'true', 'false', 'null',
];

const CMP_OPS = ['==', '!=', '<', '<=', '>', '>='];

// The functions that also take a bound element: `any(x in LIST: BODY)`.
// They are contextual keywords (not reserved), so wherever a name may stand
// they are aliased back to `identifier`.
const QUANTIFIERS = ['any', 'all'];

/**
 * `list(x)` of the reference: possibly empty, trailing comma allowed.
 * @param {RuleOrLiteral} rule
 */
function commaSep(rule) {
  return optional(seq(rule, repeat(seq(',', rule)), optional(',')));
}

/**
 * A binary operator node.
 * @param {RuleOrLiteral} left
 * @param {RuleOrLiteral} operator
 * @param {RuleOrLiteral} right
 */
function binary(left, operator, right) {
  return seq(
    field('left', left),
    field('operator', operator),
    field('right', right),
  );
}

module.exports = grammar({
  name: 'tensen',

  externals: $ => [
    $.block_comment,
    $._string_content,
    $._template_content,
  ],

  extras: $ => [
    /\s/,
    $.line_comment,
    $.doc_comment,
    $.block_comment,
  ],

  word: $ => $.identifier,

  // Every keyword is reserved: where only a name may stand (item, entity,
  // label and derive names, ...) a keyword is a syntax error, as in tensen
  // (`entity time = eventTime`). Where the language allows keywords (path
  // roots, field names after `.`, the `time` type), the rules list them.
  reserved: {
    global: _ => [...SOFT_ROOT, ...HARD],
  },

  // `any(x in` starts both a quantifier and a call whose argument is an
  // `in` comparison; only the `:` or `)` after the list decides.
  conflicts: $ => [
    [$.path, $.quantifier_expression],
  ],

  supertypes: $ => [
    $._expression,
    $._clause,
  ],

  rules: {
    source_file: $ => repeat($._item),

    _item: $ => choice(
      $.let_declaration,
      $.source_declaration,
      $.signal_declaration,
      $.sequence_declaration,
      $.guardrail_declaration,
      $.test_declaration,
    ),

    let_declaration: $ => seq(
      'let',
      field('name', $.identifier),
      '=',
      field('value', $._expression),
    ),

    source_declaration: $ => block_item($, 'source'),
    signal_declaration: $ => block_item($, 'signal'),
    sequence_declaration: $ => block_item($, 'sequence'),
    guardrail_declaration: $ => block_item($, 'guardrail'),

    test_declaration: $ => seq(
      'test',
      field('name', $.string),
      field('body', $.block),
    ),

    block: $ => seq('{', repeat($._clause), '}'),

    // ------------------------------------------------------------ clauses

    _clause: $ => choice(
      $.title_clause,
      $.summary_clause,
      $.message_clause,
      $.severity_clause,
      $.tactic_clause,
      $.technique_clause,
      $.report_clause,
      $.when_clause,
      $.deny_clause,
      $.except_clause,
      $.applies_clause,
      $.require_clause,
      $.recognize_clause,
      $.entity_clause,
      $.by_clause,
      $.within_clause,
      $.steps_clause,
      $.until_clause,
      $.scope_clause,
      $.time_clause,
      $.field_clause,
      $.derive_clause,
      $.input_clause,
      $.event_clause,
      $.expect_clause,
    ),

    title_clause: $ => seq('title', field('value', $.template_string)),
    summary_clause: $ => seq('summary', field('value', $.template_string)),
    message_clause: $ => seq('message', field('value', $.template_string)),

    severity_clause: $ => seq(
      'severity',
      optional(field('computed', 'from')),
      field('value', $._expression),
    ),

    tactic_clause: $ => seq('tactic', commaSep(field('tactic', $.identifier))),
    technique_clause: $ => seq('technique', commaSep(field('technique', $.string))),
    report_clause: $ => seq('report', field('value', $._expression)),
    when_clause: $ => seq('when', field('condition', $._expression)),
    deny_clause: $ => seq('deny', 'when', field('condition', $._expression)),
    except_clause: $ => seq('except', field('condition', $._expression)),
    applies_clause: $ => seq('applies', field('condition', $._expression)),
    require_clause: $ => seq('require', field('condition', $._expression)),
    recognize_clause: $ => seq('recognize', field('condition', $._expression)),

    entity_clause: $ => seq(
      'entity',
      field('name', $.identifier),
      '=',
      field('value', $._expression),
    ),

    by_clause: $ => seq('by', field('entity', $.identifier)),
    within_clause: $ => seq('within', field('value', $._expression)),
    steps_clause: $ => seq('steps', field('body', $.step_block)),
    until_clause: $ => seq('until', $._alternatives),
    scope_clause: $ => seq('scope', field('scope', $.identifier)),
    time_clause: $ => seq('time', field('path', $.path)),

    field_clause: $ => seq(
      'field',
      field('path', $.path),
      ':',
      field('type', $.type),
    ),

    derive_clause: $ => seq(
      'derive',
      field('name', $.identifier),
      ':',
      field('type', $.type),
      '=',
      field('value', $._expression),
    ),

    input_clause: $ => seq('input', field('path', $.string)),

    event_clause: $ => seq(
      'event',
      optional(field('offset', $.offset)),
      field('value', $.object),
    ),

    offset: $ => seq(optional(choice('+', '-')), $.duration),

    expect_clause: $ => seq(
      'expect',
      field('rule', $.identifier),
      optional(choice(
        field('count', $.count_test),
        seq(':', field('what', choice($.expect_deny, $.expect_steps))),
      )),
    ),

    expect_deny: $ => seq(
      'deny',
      'event',
      field('record', $.integer),
      optional(field('message', $.string)),
    ),

    expect_steps: $ => seq(
      'steps',
      '[',
      commaSep(field('label', $.identifier)),
      ']',
    ),

    count_test: $ => seq(
      'count',
      optional(seq('distinct', field('distinct', $.identifier))),
      optional(field('operator', choice(...CMP_OPS))),
      field('value', $._sum),
    ),

    _alternatives: $ => seq(
      field('signal', $.identifier),
      repeat(seq('|', field('signal', $.identifier))),
    ),

    type: $ => seq(
      field('name', choice($.identifier, alias('time', $.identifier))),
      optional(seq('<', field('argument', $.type), '>')),
    ),

    // -------------------------------------------------------------- steps

    step_block: $ => seq('{', repeat(choice($.step, $.unordered_group)), '}'),

    step: $ => seq(
      optional(field('mode', choice('optional', 'absent'))),
      field('label', $.identifier),
      ':',
      $._alternatives,
      optional(field('count', $.count_test)),
      optional(seq('within', field('within', $._sum))),
      optional(seq('by', field('by', $.identifier))),
    ),

    unordered_group: $ => seq('unordered', field('body', $.step_block)),

    // -------------------------------------------------------- expressions

    _expression: $ => choice(
      alias($.or_expression, $.binary_expression),
      $._conjunction,
    ),

    or_expression: $ => binary($._expression, 'or', $._conjunction),

    _conjunction: $ => choice(
      alias($.and_expression, $.binary_expression),
      $._negation,
    ),

    and_expression: $ => binary($._conjunction, 'and', $._negation),

    _negation: $ => choice(
      alias($.not_expression, $.unary_expression),
      $._comparison,
    ),

    not_expression: $ => seq(
      field('operator', 'not'),
      field('operand', $._negation),
    ),

    _comparison: $ => choice(
      alias($.comparison_expression, $.binary_expression),
      $.exists_expression,
      $._sum,
    ),

    comparison_expression: $ => binary(
      $._sum,
      choice(
        ...CMP_OPS,
        'in',
        seq('not', 'in'),
        'matches',
        '=~',
        'contains',
        'starts_with',
        'ends_with',
      ),
      $._sum,
    ),

    exists_expression: $ => seq(
      field('operand', $._sum),
      optional(field('negated', 'not')),
      'exists',
    ),

    _sum: $ => choice(
      alias($.additive_expression, $.binary_expression),
      $._product,
    ),

    additive_expression: $ => binary($._sum, choice('+', '-'), $._product),

    _product: $ => choice(
      alias($.multiplicative_expression, $.binary_expression),
      $._unary,
    ),

    multiplicative_expression: $ => binary($._product, choice('*', '/'), $._unary),

    _unary: $ => choice(
      alias($.negation_expression, $.unary_expression),
      $._primary,
    ),

    negation_expression: $ => seq(
      field('operator', '-'),
      field('operand', $._unary),
    ),

    _primary: $ => choice(
      $._literal,
      $.path,
      $.call_expression,
      $.quantifier_expression,
      $.list,
      $.parenthesized_expression,
      $.object,
    ),

    call_expression: $ => seq(
      field('function', choice($.identifier, ...QUANTIFIERS.map(k => alias(k, $.identifier)))),
      field('arguments', $.arguments),
    ),

    // `any(x in LIST: BODY)` / `all(...)`. tensen parses the part before `:`
    // as an `in` comparison and takes it apart; here it is spelled out, so
    // `any(x: y)` and `lower(x in l: y)` are syntax errors here too.
    quantifier_expression: $ => seq(
      field('function', choice(...QUANTIFIERS.map(k => alias(k, $.identifier)))),
      '(',
      field('variable', $.identifier),
      'in',
      field('list', $._sum),
      ':',
      field('body', $._expression),
      ')',
    ),

    arguments: $ => seq('(', commaSep($._expression), ')'),

    list: $ => seq('[', commaSep($._expression), ']'),

    parenthesized_expression: $ => seq('(', $._expression, ')'),

    object: $ => seq('{', commaSep($.pair), '}'),

    pair: $ => seq(
      field('key', $.string),
      ':',
      field('value', $._expression),
    ),

    _literal: $ => choice(
      $.string,
      $.integer,
      $.float,
      $.duration,
      $.ipv4,
      $.cidr,
      $.ipv6,
      $.true,
      $.false,
      $.null,
    ),

    true: _ => 'true',
    false: _ => 'false',
    null: _ => 'null',

    // -------------------------------------------------------------- paths

    path: $ => seq(
      field('root', choice(
        $.identifier,
        ...[...SOFT_ROOT, ...QUANTIFIERS].map(k => alias(k, $.identifier)),
      )),
      repeat(choice(
        seq('.', field('field', choice(
          alias($.identifier, $.field_name),
          ...[...SOFT_ROOT, ...HARD, ...QUANTIFIERS].map(k => alias(k, $.field_name)),
          $.string,
        ))),
        $.index,
        $.wildcard,
      )),
    ),

    index: $ => seq('[', $.integer, ']'),

    wildcard: _ => seq('[', '*', ']'),

    // ------------------------------------------------------------- tokens

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    integer: _ => /[0-9]+/,
    float: _ => /[0-9]+\.[0-9]+/,
    duration: _ => /[0-9]+(ms|s|m|h|d|w)/,
    ipv4: _ => /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/,
    cidr: _ => /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\/[0-9]+/,
    // An IPv6 address or network, loosely: hex groups with at least two
    // colons, an optional embedded IPv4 tail and an optional prefix length.
    ipv6: _ => token(seq(
      /[0-9a-fA-F]{0,4}/,
      /(:[0-9a-fA-F]{0,4}){2,7}/,
      optional(/\.[0-9]+\.[0-9]+\.[0-9]+/),
      optional(/\/[0-9]+/),
    )),

    string: $ => seq(
      '"',
      repeat(choice(
        alias($._string_content, $.string_content),
        $.escape_sequence,
      )),
      '"',
    ),

    // The strings of `title`, `summary` and `message`: `{EXPR}` interpolates.
    template_string: $ => seq(
      '"',
      repeat(choice(
        alias($._template_content, $.string_content),
        $.escape_sequence,
        $.interpolation,
      )),
      '"',
    ),

    interpolation: $ => seq('{', field('expression', $._expression), '}'),

    escape_sequence: _ => token.immediate(seq(
      '\\',
      choice(/["\\/nrt{}]/, /u[0-9a-fA-F]{4}/),
    )),

    // `///` starts a doc comment unless a fourth `/` follows.
    doc_comment: _ => token(seq('///', optional(seq(/[^/\n]/, /[^\n]*/)))),
    line_comment: _ => token(choice(
      seq('//', optional(seq(/[^/\n]/, /[^\n]*/))),
      seq('////', /[^\n]*/),
    )),
  },
});

/**
 * `KIND name [on SOURCE] { clauses }`.
 * @param {GrammarSymbols<string>} $
 * @param {string} keyword
 */
function block_item($, keyword) {
  return seq(
    keyword,
    field('name', $.identifier),
    optional(seq('on', field('source', $.identifier))),
    field('body', $.block),
  );
}
