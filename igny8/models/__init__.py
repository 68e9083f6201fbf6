"""The data model. Importing this package registers every table on ``db.metadata``."""

from .admin_audit import AdminAuditLog, AlertLog
from .billing import (
    CreditCostConfig,
    CreditTransaction,
    CreditUsageLog,
    UsageCostRevision,
    UsageDaily,
)
from .catalog import AccountModelLimit, AIModelConfig, ModelPrice
from .content import (
    Cluster,
    Content,
    ContentIdea,
    ContentLink,
    ContentRevision,
    Image,
    Keyword,
    Publication,
    Task,
)
from .prompts import Prompt
from .runs import IdempotentRequest, Notification, OperationRun, OperationRunItem
from .settings import (
    GlobalIntegrationSettings,
    IntegrationSettings,
    ModuleSetting,
    ProviderCredential,
)
from .tenancy import Account, ApiToken, Plan, Site, User

__all__ = [
    "AccountModelLimit",
    "AdminAuditLog",
    "AlertLog",
    "AIModelConfig",
    "Account",
    "ApiToken",
    "Cluster",
    "Content",
    "ContentIdea",
    "ContentLink",
    "ContentRevision",
    "CreditCostConfig",
    "CreditTransaction",
    "CreditUsageLog",
    "GlobalIntegrationSettings",
    "Image",
    "IntegrationSettings",
    "Keyword",
    "ModelPrice",
    "ModuleSetting",
    "IdempotentRequest",
    "Notification",
    "OperationRun",
    "OperationRunItem",
    "Plan",
    "Prompt",
    "ProviderCredential",
    "Publication",
    "Site",
    "Task",
    "UsageCostRevision",
    "UsageDaily",
    "User",
]

# The daily rollup follows the usage log whoever writes it (its listener lives there).
from ..billing import rollup as _rollup  # noqa: E402, F401
