"""Tests of minikeras.fast. A package, so that its test modules may share names with those of tests/ops."""
