"""flipbot's bot: verdict + flip plan -> registry rewrite -> one flip pull request, or a refusal report.

No torch, no trainer. Only :mod:`bot.github_api.repo` imports PyGithub.
"""
