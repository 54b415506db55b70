// What is wrong with one field of a config, said without naming where the value came from. The
// libraries check configs; only the front end knows whether a value was a flag, an environment
// variable or a key in a file, so it turns `field` into that name (see cli/care_flags.cpp), and a
// library that logs the error names the field itself (describe()).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>

#include <tl/expected.hpp>

namespace lvscare {

template <class Field>
struct FieldError {
  Field field{};
  std::size_t item = 0;  // which entry, for a list field
  // The value at fault as the library prints it ("\"sed\"", "32"); empty when the field has none.
  std::string value;
  // What is wrong, for "<name> <value>: <problem>". When it is about a second field as well, `other`
  // says which, and "{}" in the text marks where that field's name goes.
  std::string problem;
  std::optional<Field> other;
  // The problem names the field and the value itself ("health path '/a b' has a space ..."), so a
  // library's own message is the problem alone; a front end still prefixes its name and the text.
  bool namesItself = false;
};

template <class Field>
using FieldResult = tl::expected<void, FieldError<Field>>;

template <class Field>
tl::unexpected<FieldError<Field>> fieldError(Field field, std::string value, std::string problem,
                                             std::type_identity_t<std::optional<Field>> other = std::nullopt,
                                             std::size_t item = 0) {
  return tl::unexpected<FieldError<Field>>(FieldError<Field>{field, item, std::move(value), std::move(problem), other});
}

// The problem with `other` named by `name`.
template <class Field>
std::string problemText(const FieldError<Field>& error, const std::function<std::string(Field)>& name) {
  std::string text = error.problem;
  if (error.other) {
    if (const auto mark = text.find("{}"); mark != std::string::npos) text.replace(mark, 2, name(*error.other));
  }
  return text;
}

// "<name> <value>: <problem>", or "<name>: <problem>" for a missing value.
template <class Field>
std::string describe(const FieldError<Field>& error, const std::function<std::string(Field)>& name) {
  if (error.namesItself) return problemText(error, name);
  std::string out = name(error.field);
  if (!error.value.empty()) out += " " + error.value;
  return out + ": " + problemText(error, name);
}

}  // namespace lvscare
