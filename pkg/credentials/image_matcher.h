// Matching images against kubelet credential-provider patterns ("matchImages"
// entries and the keys of a provider response's auth map).
//
// A pattern and an image match when, both read as scheme-less URLs:
//  - their hosts have the same number of dot-separated parts and each image part
//    matches the pattern part as a glob (*, ?, [a-z]); a glob never spans a dot,
//    so "*.k8s.io" matches "a.k8s.io" but not "a.b.k8s.io" or "k8s.io";
//  - their ports are equal (no port matches only no port);
//  - the pattern's path is a prefix of the image's path (plain string prefix).
#pragma once

#include <string_view>

namespace berth::credentials {

bool MatchImage(std::string_view pattern, std::string_view image);

// Glob match of one host part: '*' any run, '?' one char, '[...]' a class
// ('^' or '!' negates, ranges allowed), '\' escapes. A malformed class never matches.
bool GlobMatch(std::string_view glob, std::string_view text);

}  // namespace berth::credentials
