"""A package whose `extern` subpackage maps names onto its bundled copies."""
