// The template's test: the conformance kit (nas/testing/conformance_kit.h) checks that
// template_logit_std and template_input_sensitivity keep the Proxy contract (finite, deterministic, isolated, honest about
// its needs, re-entrant on two workers). Keep this file when you copy the template, with your
// proxy's name; add tests of your formula beside it, on inputs whose score you worked out by
// hand.
#include <gtest/gtest.h>

#include "nas/testing/conformance_kit.h"

TEST(TemplateLogitStd, Conforms) { nas::testing::ExpectProxyConforms("template_logit_std"); }
TEST(TemplateInputSensitivity, Conforms) {
  nas::testing::ExpectProxyConforms("template_input_sensitivity");
}
