"""GitLab CI code fixes (policylint.core.fixes); none yet."""
