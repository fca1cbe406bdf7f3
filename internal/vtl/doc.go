// Package vtl owns the mapping-template language of API Gateway: Velocity
// 1.7 (VTL) with AWS's $input, $util, $context and $stageVariables. It
// compiles a template once (Compile; a *Template is immutable and safe for
// concurrent use) and renders it against a Request the caller fills, with
// bounded work (Limits). It uses only the standard library and must never
// import another Gatehouse package: the gateway depends on it, not the
// other way round.
//
// # Language
//
// References $x, ${x}, $!x (quiet: null renders nothing) with chains of
// properties, method calls and indexes ($a.b.c, $a.get('x'), $a[0]).
// Directives #set, #if/#elseif/#else/#end, #foreach … #end (with
// $foreach.hasNext/.count/.index/.first/.last and $velocityCount), #break,
// #stop; #{else} and #{end} forms. Comments ## and #* *# (and #** *#),
// unparsed #[[ … ]]#, escapes \$x and \#directive. Literals: 'single'
// (verbatim), "double" (interpolated), integers, decimals, true, false,
// lists [a, b], ranges [1..n], maps {"k": v}. Operators || && ! == != < <=
// > >= + - * / % and or not eq ne lt le gt ge. Unknown #words (#333 in CSS)
// are text; #macro, #parse, #include, #evaluate and #define are refused at
// compile time.
//
// Rendering follows Velocity 1.7 with AWS's choices where they differ:
//   - an undefined variable renders as written ($nosuch); a null reached
//     from a defined one ($context.missing, $input.path('$.none')) renders
//     empty, as AWS renders it (recorded: common.snapshot.json
//     test_input_path_template_formatting "empty-body");
//   - #if is false only for null and false (1.7: "" is true);
//   - #set with a null right-hand side leaves the variable as it was;
//   - maps render as Java's {k=v, k2=v2}; lists a template builds as
//     [a, b]; JSON arrays (from $input.path, $util.parseJson) as compact
//     JSON, as AWS's JSONPath results do (recorded outputs in the same
//     test); decimals as Java's Double.toString;
//   - #set takes the spaces and tabs before it (Velocity 1.7's lexer does);
//     #set, #if, #elseif, #else, #end, #foreach, #break and #stop take the
//     newline that ends their line (after spaces and tabs).
//
// Methods: on strings length, size, isEmpty, contains, startsWith,
// endsWith, indexOf, lastIndexOf, substring, charAt, concat, replace,
// replaceAll, replaceFirst, split, matches, trim, toLowerCase, toUpperCase,
// equals, equalsIgnoreCase, toString (regular expressions are RE2: linear
// time, no lookaround or backreferences); on lists size, isEmpty, get,
// contains, indexOf, add, set, remove; on maps get, put, remove,
// containsKey, containsValue, keySet, values, entrySet (.key, .value),
// size, isEmpty; toString and equals on all. An unknown method gives null.
//
// # AWS's objects
//
// $input.body, $input.json(path), $input.path(path) over the JSONPath
// subset AWS templates use ($, .field, ['field'], [n], [*], .*),
// $input.params() (a map of path, querystring, header), $input.params(name)
// (path, then query string, then header; "" when absent), $context (the
// caller's map, writable: $context.responseOverride.status), $stageVariables,
// and $util.escapeJavaScript, parseJson, urlEncode, urlDecode, base64Encode,
// base64Decode.
//
// # Bounds
//
// A template is at most 300 KB and nests at most 64 levels. A render stops
// with an error wrapping ErrLimit past Limits.MaxOutput bytes (for the
// output and any one string built on the way), MaxSteps steps or MaxItems
// elements in a list or map; a #foreach runs at most MaxLoop iterations
// (AWS's 1,000; further items are skipped); ctx is checked every 1,024
// steps. Errors, compile or render, name the line and column.
package vtl
