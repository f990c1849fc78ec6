import CentaurCommands

await CentaurCommand.runMain()
