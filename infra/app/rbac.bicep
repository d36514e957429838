// Every role assignment of the deployment, in one place, each the narrowest that does the job. Role ids are Azure's
// built-in role definition ids (the same in every subscription), each named in its comment as the list of built-in
// roles names it: https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles
// Assignment names are guid(scope, principal, role) so a re-deployment finds the same assignment instead of adding
// a duplicate.
param storageAccountName string
param keyVaultName string
param applicationInsightsName string

@description('Principal (object) id of the Function App\'s user-assigned identity.')
param appPrincipalId string

@description('Object id of whoever runs azd; empty grants nothing.')
param deployerPrincipalId string

@description('True gives the deployer Key Vault Secrets Officer (read too); false only lets them write secrets.')
param deployerCanReadSecrets bool

var storageRoles = [
  // Storage Blob Data Contributor (not Owner, which adds changing POSIX ACLs and ownership and blob index tags,
  // none of which MailImport or the host uses): read, write and delete blobs and create containers. That covers the host's keys and locks, the Durable task hub's leases and large messages,
  // and MailImport's containers, which the Durable Functions guide lists for identity-based connections:
  // https://learn.microsoft.com/en-us/azure/azure-functions/durable/durable-functions-configure-managed-identity
  // It includes the deployment package's container (app-package): Flex Consumption's one deploy writes the package
  // there as the identity named in functionAppConfig.deployment, and any identity assigned to the app is one its
  // code can ask a token for, so no second identity keeps the app from writing its own package on this plan.
  // https://learn.microsoft.com/en-us/azure/azure-functions/functions-deployment-technologies#one-deploy
  // https://learn.microsoft.com/en-us/azure/app-service/overview-managed-identity
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  // Storage Queue Data Contributor: the Durable task hub's control and work-item queues.
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Storage Table Data Contributor: the Durable task hub's History and Instances tables.
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
]
// Key Vault Secrets Officer: every operation on secrets. The app needs more than reading (Key Vault Secrets User):
// it writes a batch's sources' passwords, reads them while copying, lists and deletes them when the batch closes,
// and purges them where the vault allows (KeyVaultSecretStore).
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
// Monitoring Metrics Publisher: send telemetry to an Application Insights whose local (key) auth is off.
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storageAccount.id, appPrincipalId, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, appPrincipalId, keyVaultSecretsOfficer)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The deployer puts the Yandex 360 token (and the service application's secret) into the vault, but needs to read
// no secret back: by default they get this custom role, which sets secrets and lists their names only. No
// built-in role does that (Key Vault Secrets Officer reads too). Creating it needs
// Microsoft.Authorization/roleDefinitions/write (Owner or User Access Administrator), as assigning roles needs
// roleAssignments/write. https://learn.microsoft.com/en-us/azure/role-based-access-control/custom-roles-bicep
// https://learn.microsoft.com/en-us/azure/key-vault/general/rbac-guide#azure-built-in-roles-for-key-vault-data-plane-operations
var secretWriterId = guid(resourceGroup().id, 'mailimport-key-vault-secret-writer')

resource secretWriter 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!empty(deployerPrincipalId) && !deployerCanReadSecrets) {
  name: secretWriterId
  properties: {
    // Role names are unique in the tenant: one role per resource group.
    roleName: 'MailImport Key Vault secret writer (${resourceGroup().name}, ${uniqueString(resourceGroup().id)})'
    description: 'Set secrets and read their names and attributes, never their values.'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/secrets/setSecret/action'
          'Microsoft.KeyVault/vaults/secrets/readMetadata/action'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [resourceGroup().id]
  }
}

// A role definition's id is subscription-level wherever it was deployed.
var deployerRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', deployerCanReadSecrets ? keyVaultSecretsOfficer : secretWriterId)

// The deployer may be a user or a service principal (azd in CI); principalType is left for Azure to look up.
resource deployerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(keyVault.id, deployerPrincipalId, deployerRoleId)
  scope: keyVault
  properties: {
    roleDefinitionId: deployerRoleId
    principalId: deployerPrincipalId
  }
  dependsOn: [secretWriter]
}
