// A small YAML document tree, written out the way Kubernetes writes manifests.
//
// Kubernetes (sigs.k8s.io/yaml) serializes an object to JSON and converts the JSON to YAML with
// go-yaml v2: keys sorted at every level, two-space indent, sequences not indented under their key,
// strings quoted only when a plain scalar would read back as another type. emitYaml() reproduces
// that through libyaml's emitter (go-yaml v2's emitter is a line-for-line port of it), choosing
// each scalar's style with go-yaml v2's own rules (goYamlNeedsQuotes, goYamlKeyLess).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lvscare/result.hpp"

namespace lvscare::staticpod {

struct YamlEntry;

struct YamlNode {
  enum class Kind {
    String,   // text that must read back as a string: quoted when plain would resolve otherwise
    Literal,  // a plain scalar written as is: what Go writes for null, booleans and numbers
    Map,
    Seq,
  };

  Kind kind = Kind::Map;
  std::string text;                // String, Literal
  std::vector<YamlEntry> entries;  // Map, in insertion order (emitYaml sorts)
  std::vector<YamlNode> items;     // Seq

  static YamlNode string(std::string value);
  static YamlNode literal(std::string value);
  // Defined below YamlEntry: a YamlNode made here destroys a vector<YamlEntry>, which clang with
  // libstdc++'s C++20 (constexpr) vector only accepts once YamlEntry is complete.
  static YamlNode boolean(bool value);
  static YamlNode null();
  static YamlNode map();
  static YamlNode seq();
  static YamlNode stringSeq(const std::vector<std::string>& values);

  bool isScalar() const { return kind == Kind::String || kind == Kind::Literal; }

  // Map access. set() replaces the value of an existing key, else appends.
  YamlNode& set(std::string_view key, YamlNode value);
  const YamlNode* find(std::string_view key) const;
  YamlNode* find(std::string_view key);
  // Seq access.
  YamlNode& push(YamlNode value);

  // Same kind, text and children (maps compare entry by entry in order).
  bool operator==(const YamlNode& other) const;
};

struct YamlEntry {
  std::string key;
  YamlNode value;
  bool operator==(const YamlEntry&) const = default;
};

inline YamlNode YamlNode::boolean(bool value) { return literal(value ? "true" : "false"); }
inline YamlNode YamlNode::null() { return literal("null"); }
inline YamlNode YamlNode::map() { return YamlNode{}; }

// One document, keys sorted as go-yaml sorts them, ending in a newline, no "---".
Result<std::string> emitYaml(const YamlNode& root);

// Parses a single-document YAML text. Plain scalars that would resolve to a non-string (null,
// booleans, numbers, timestamps) become Literal, everything else String, so that emitYaml() writes
// back the same types. Anchors, aliases and several documents are rejected as Malformed.
Result<YamlNode> parseYaml(std::string_view text);

// go-yaml v2 rules, exposed for tests.
// True when go-yaml v2 reads the plain scalar `value` as something other than a string.
bool goYamlResolvesToNonString(std::string_view value);
// True when a plain scalar `value` would not read back as a string under YAML 1.1 as go-yaml v2
// resolves it (null, booleans, ints, floats, timestamps, base-60 floats): Go double-quotes those.
bool goYamlNeedsQuotes(std::string_view value);
// go-yaml v2's map key order: letters by code point, digit runs by numeric value, a letter after a
// non-letter, a shorter prefix first.
bool goYamlKeyLess(std::string_view a, std::string_view b);

}  // namespace lvscare::staticpod
