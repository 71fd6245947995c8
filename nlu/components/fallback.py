"""Rasa's FallbackClassifier, aware that an act can be chosen by a rule rather than by being the likeliest.

The act classifier calls a message out of scope whenever that is at least ``out_of_scope_threshold`` likely, even
when another act is likelier (README, "NLU"). The ranking then starts with an act less likely than the one after
it, and Rasa's ambiguity check (first minus second below ``ambiguity_threshold``) would turn every such decision
into ``nlu_fallback``, a "which topic?" menu instead of the out-of-scope answer the threshold was chosen for. Here
a message whose act was chosen that way is checked against the confidence threshold only.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

# Set on a message (to the rule's name) by a component that chose its act by a rule, not by the ranking.
ACT_CHOSEN_BY_KEY = "act_chosen_by"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ActFallbackClassifier(FallbackClassifier):
    """``nlu_fallback`` when the act is unlikely, or ambiguous unless a rule chose it (see the module docstring)."""

    def _should_fallback(self, message: Message) -> bool:
        if message.get(ACT_CHOSEN_BY_KEY):
            return self._nlu_confidence_below_threshold(message)[0]
        return super()._should_fallback(message)
