// Diagnostic settings: the resource logs of the vault, the blob service and the Function App go to the Log Analytics
// workspace of monitoring.bicep (the one Application Insights writes to, so one workspace answers who did what).
// https://learn.microsoft.com/en-us/azure/azure-monitor/essentials/diagnostic-settings
param logAnalyticsWorkspaceId string
param keyVaultName string
param storageAccountName string
param functionAppName string

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

// AuditEvent: every request to the vault, with the caller's identity and IP, the operation (SecretGet, SecretSet,
// SecretDelete, SecretPurge, ...) and the secret's name: who read which secret, and when. Values are never logged.
// https://learn.microsoft.com/en-us/azure/key-vault/general/logging
resource keyVaultAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: keyVault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

// StorageRead, StorageWrite, StorageDelete of the blob service (table StorageBlobLogs): each request with the caller's
// principal and IP, the operation and the blob's path, so a read of mailimport-uploads (raw credential files) by
// anything but the app shows. Queue and table logs are left off: they carry only the Durable task hub's traffic.
// https://learn.microsoft.com/en-us/azure/storage/blobs/monitor-blob-storage#collection-and-routing
resource blobLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'blob-to-log-analytics'
  scope: storageAccount::blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'StorageRead'
        enabled: true
      }
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
  }
}

// FunctionAppLogs: the Functions host's and the functions' log lines (table FunctionAppLogs), beside what the app
// sends to Application Insights itself. On Flex Consumption this category has been reported to take every level,
// whatever host.json filters (https://github.com/Azure/azure-functions-host/issues/11434): MailImport logs no
// secret at any level, so that costs volume only.
// https://learn.microsoft.com/en-us/azure/azure-functions/functions-monitor-log-analytics
resource functionAppLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-log-analytics'
  scope: site
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
  }
}
