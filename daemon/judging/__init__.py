"""The rules that judge a Snapshot: findings, the verdict, Desktop-vs-Web comparison and matching."""
