"""Custom Rasa NLU components: text normalisation, pinyin features and fact extraction."""
