import CentaurCommands

CentaurCommand.prepareRuntime()
await CentaurCommand.runMain()
